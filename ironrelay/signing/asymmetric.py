"""Share what schemes verified with a provider's public key need: key options and lookup."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from .base import Scheme, check_text_option
from .provider_keys import key_texts


class PublicKeyScheme(Scheme):
    """Verify with the provider's public key(s); sign only with a test source's private key."""

    # Keys replace shared secrets: "public_key" (newest first when a list) and, for test
    # sources that ironrelay_send_test signs for, "private_key".
    options = frozenset({"public_key", "private_key"})
    key_kind: ClassVar[str]

    def configure(self, *, public_key: object = (), private_key: str | None = None) -> None:
        """Load the public key(s) to verify with and the optional private key to sign with."""
        if self.secrets:
            raise ValueError(f"the {self.name} scheme verifies with 'public_key', not 'secrets'")
        label = f"{self.name} option 'public_key'"
        if not public_key:
            raise ValueError(
                f"the {self.name} scheme needs the 'public_key' option: the {self.key_kind} "
                "verification key the provider shows"
            )
        texts = key_texts(public_key, label=label)
        self.public_keys = tuple(
            self.load_public(text, label=f"{label}[{i}]") for i, text in enumerate(texts)
        )
        self.private_key: Any = None
        if private_key is not None:
            label = f"{self.name} option 'private_key'"
            text = check_text_option(private_key, label=label)
            self.private_key = self.load_private(text, label=label)

    def has_keys(self) -> bool:
        """Return whether a public key is configured."""
        return bool(self.public_keys)

    def signing_key(self) -> Any:
        """Return the private key, or raise ValueError naming the option to set."""
        if self.private_key is None:
            raise ValueError(
                f"signing as {self.name} needs the 'private_key' option (test sources only): "
                f"the provider keeps its {self.key_kind} private key"
            )
        return self.private_key

    def check_each(self, check: Callable[[Any], bool]) -> int | None:
        """Return the index of the first public key for which ``check`` holds."""
        for index, key in enumerate(self.public_keys):
            if check(key):
                return index
        return None

    @abstractmethod
    def load_public(self, text: str, *, label: str) -> Any:
        """Return the public key object encoded in ``text``."""

    @abstractmethod
    def load_private(self, text: str, *, label: str) -> Any:
        """Return the private key object encoded in ``text``."""
