"""The built-in rule catalogue: id, default severity, family, what it catches and how to fix it.

docs/lint.md documents every rule listed here (a test checks that).
"""

from __future__ import annotations

from .registry import Rule

BUILTIN_RULES = [
    # --- personal and confidential data (content) ---
    Rule(
        "pii.email",
        "error",
        "content",
        "An e-mail address in drawn text, a caption or alt text.",
        "Remove the address or replace it with a placeholder such as name@example.com; "
        "list the team's public address under [guard] allow.",
    ),
    Rule(
        "pii.phone",
        "error",
        "content",
        "A phone number (international, or local to a configured region).",
        "Remove the number or use the public support line listed under [guard] allow.",
    ),
    Rule(
        "pii.card",
        "error",
        "content",
        "A payment card number (13-19 digits that pass the Luhn check).",
        "Never show card numbers; use a masked example such as •••• 1234.",
    ),
    Rule(
        "pii.account",
        "error",
        "content",
        "A bank account number (IBAN or another configured format) that passes its checksum.",
        "Remove the account number; show a masked example such as ES•• •••• 1332.",
    ),
    Rule(
        "pii.national-id",
        "error",
        "content",
        "A national ID number in a configured format (DNI, Thai ID, Aadhaar, JMBG...).",
        "Remove the ID number; show a masked example instead.",
    ),
    Rule(
        "pii.password",
        "error",
        "content",
        "A password written after a password label, in any language.",
        "Remove the password; tell people where to find theirs instead (for example, the router label).",
    ),
    Rule(
        "pii.otp",
        "error",
        "content",
        "A one-time or verification code (4-8 digits after 'code', 'OTP', 'PIN'...).",
        "Remove the code; show a placeholder such as 123 456 or ••••••.",
    ),
    Rule(
        "pii.secret",
        "error",
        "content",
        "An API key, token or private key (AWS, GitHub, Slack, Stripe, JWT...).",
        "Remove it from the story and revoke it: anything published must be treated as leaked.",
    ),
    Rule(
        "pii.order",
        "error",
        "content",
        "An order or ticket number matching [guard] order_patterns.",
        "Remove the customer's order or ticket number; use a made-up placeholder such as ORD-00000.",
    ),
    # --- channel suitability (content) ---
    Rule(
        "suitability.off-channel",
        "error",
        "content",
        "A topic kept off public channels (billing disputes, refunds, account recovery...).",
        "Handle this topic in a private channel; publish it only to channels not listed as public, "
        "or edit [guard] off_channel_topics.",
    ),
    # --- copy (content) ---
    Rule(
        "copy.max-words",
        "warning",
        "content",
        "Too many words on one frame for its language (Thai counted by word segmentation).",
        "Shorten the text or split the step in two.",
    ),
    Rule(
        "copy.missing-translation",
        "error",
        "content",
        "A declared language has no text for a value that other languages have.",
        "Add the missing language under this value, or remove the language from the story's languages.",
    ),
    Rule(
        "copy.missing-alt",
        "warning",
        "content",
        "A step image has no alt text.",
        "Add alt: {lang: ...} describing the image for people who cannot see it.",
    ),
    Rule(
        "copy.missing-image",
        "warning",
        "content",
        "A step has no image although its template expects one.",
        "Add image: assets/... to the step, or use a template without step images.",
    ),
    # --- format (content) ---
    Rule(
        "format.max-frames",
        "error",
        "content",
        "The story has more frames than [guard] max_frames.",
        "Split the story in two, or merge steps.",
    ),
    Rule(
        "format.duration",
        "error",
        "content",
        "The story runs longer than [guard] max_duration (story videos stop at 60 s).",
        "Shorten step durations or remove steps.",
    ),
    Rule(
        "format.frame-duration",
        "warning",
        "content",
        "One frame stays longer than [guard] max_frame_duration.",
        "Lower this step's duration, or split its text over two steps.",
    ),
    Rule(
        "format.poll-channel",
        "warning",
        "content",
        "A poll is aimed at a channel that cannot carry polls natively.",
        "Expect it to be baked into the frame or handed off; target a channel that carries polls "
        "(Telegram, Discord, Mastodon) for native voting.",
    ),
    # --- layout (render) ---
    Rule(
        "layout.safe-zone",
        "error",
        "render",
        "A text layer reaches into a platform overlay area ([render.safe_zone]).",
        "Move or shrink the text box in the template so it stays inside the safe zone.",
    ),
    Rule(
        "layout.min-size",
        "error",
        "render",
        "Text is drawn smaller than the minimum size for its role.",
        "Shorten the text, or raise the template's minimum size for this layer.",
    ),
    Rule(
        "layout.shrunk",
        "warning",
        "render",
        "Text had to shrink to its minimum size to fit.",
        "Shorten the text so it fits at a comfortable size.",
    ),
    Rule(
        "layout.truncated",
        "error",
        "render",
        "Text did not fit and was cut off.",
        "Shorten the text or split the step: the cut part is not shown.",
    ),
    Rule(
        "layout.contrast",
        "error",
        "render",
        "Text contrast on the rendered pixels is below WCAG AA (4.5:1, or 3:1 for large text).",
        "Use a darker or lighter text colour, add a scrim behind the text, or pick a calmer image.",
    ),
    Rule(
        "layout.manifest",
        "error",
        "render",
        "A render manifest or frame image is missing or unreadable.",
        "Run `storycast render` for this story and language again.",
    ),
]
