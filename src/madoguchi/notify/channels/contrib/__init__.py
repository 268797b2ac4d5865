from madoguchi.notify.channels.contrib import email, letter, sms  # noqa: F401  (register the channels)
