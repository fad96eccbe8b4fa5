"""Running Kneecoach as a service: health and readiness, Prometheus metrics, structured
logs, retries at start. Wraps the engine's ports and the scheduler from outside (no
engine or adapter module knows about it); ``bot.app`` plugs it in."""
