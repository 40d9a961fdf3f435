"""The bot's one web application: the webhook, /healthz, /metrics and the Mini App."""
