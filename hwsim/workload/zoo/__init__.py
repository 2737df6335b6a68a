"""Built-in models. Each module registers its builders with ``@register``."""
