"""A mail backend that hangs until the test releases it, as a dead SMTP server would."""

import threading

from django.core.mail.backends.base import BaseEmailBackend

entered = threading.Event()  # a send began
release = threading.Event()  # set by the test: let the send finish
finished = threading.Event()  # the send ended, released or given up after 10 s
sent: list = []


class Backend(BaseEmailBackend):
    def send_messages(self, email_messages):
        entered.set()
        try:
            if release.wait(10):
                sent.extend(email_messages)
            return len(email_messages)
        finally:
            finished.set()
