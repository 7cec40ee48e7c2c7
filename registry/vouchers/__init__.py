"""科技创新券: the year's voucher budget and the firms' applications, issues and redemptions."""
