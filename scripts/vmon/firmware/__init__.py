"""The firmware from the host: the Zephyr workspace (``workspace``), west build/run/flash
(``build``), the replay UART into QEMU (``replay``) and the application's records compared
with vmon's expectations (``device``)."""
