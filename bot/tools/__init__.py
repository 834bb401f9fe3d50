"""Running the bot without Telegram: the office simulation, the demo."""
