"""The gateway side of the node's radios: a BLE central that receives records (``vmon listen``)."""
