from messenger.core.masking import mask_email, mask_phone, mask_recipient


def test_phone_numbers_keep_country_prefix_and_last_two_digits():
    assert mask_phone("+254712345678") == "+2547******78"


def test_email_keeps_first_letter_and_domain():
    assert mask_email("john@example.com") == "j***@example.com"


def test_mask_recipient_picks_the_kind():
    assert mask_recipient("john@example.com") == "j***@example.com"
    assert "345" not in mask_recipient("+254712345678")
