"""科技奖励: science and technology awards won by a firm."""
