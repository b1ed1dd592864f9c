"""Help requests: intake, routing to agencies and the closed loop of agency statuses."""
