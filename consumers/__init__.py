"""Long-running RabbitMQ consumer processes: wiring only, the logic lives in portal/."""
