"""The read models kept from the service's own request events, by one consumer."""
