"""科技信贷风险池: the risk pool per year, loans to firms, repayments and compensations."""
