"""The families' chat-bot: linking Telegram to a passport, requests, answers, ratings."""
