"""The building blocks of every read model: document keys, counter operations, histograms."""
