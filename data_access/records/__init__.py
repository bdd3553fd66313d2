"""What people enter besides cases: units, users, meetings and agenda items, adjustments, targets, and the audit log."""
