"""RQ job functions (thin: they call app.services) and the `rq cron` config."""
