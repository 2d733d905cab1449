"""What the invoke tasks run end to end: ``invoke demo``, ``invoke test``, ``invoke bench``."""
