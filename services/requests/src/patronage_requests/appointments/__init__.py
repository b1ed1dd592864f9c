"""Appointments with specialists: schedules, slots, booking, reminders."""
