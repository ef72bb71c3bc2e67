"""Evidence files (佐证材料, CONTRACT §13): found beside each workbook, typed by content, checked, filed."""
