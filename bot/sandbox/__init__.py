"""Stand-ins for the world outside the bot, for the local sandbox, the tests and the bench:

- `telegram`: the Bot API played inside the process (`FakeTelegram`, a PTB request layer that
  checks what Telegram checks: HTML, buttons, limits, flood control);
- `users`: the people of the sandbox (`Sandbox`, `SandboxUser`), who send messages and tap
  buttons through the real Application;
- `terminal`: the chat in the terminal (`make run` without a token);
- `botapi`: the same Bot API over real HTTP in a thread (`BotApiServer`), for the bot as a real
  process;
- `smtp`: a real SMTP server on 127.0.0.1 (aiosmtpd; a development dependency).

Nothing here is imported when the bot runs on Telegram.
"""
