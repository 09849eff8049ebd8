"""One construct per concern; `stacks.messaging_stack.MessagingStack` composes them."""
