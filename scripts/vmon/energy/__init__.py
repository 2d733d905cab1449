"""The node's energy model: datasheet figures with their citations (figures.yaml), LoRa time
on air, the budget per measurement, per report and in sleep, battery life, and the report.
See docs/energy.md; `invoke bench --suite energy` runs it on the measured firmware costs."""
