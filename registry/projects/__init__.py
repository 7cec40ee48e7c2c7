"""科技计划项目: projects a firm leads or takes part in, with their process tracking."""
