// What a festival cost can be and where it stands (decision 0036), for the
// domain module and the costs page alike (the page cannot import a .server module).
export const COST_CATEGORIES = ["venue", "equipment", "travel", "printing", "other"] as const;
export type CostCategory = (typeof COST_CATEGORIES)[number];
export const COST_STATUSES = ["submitted", "approved", "paid", "rejected", "cancelled"] as const;
export type CostStatus = (typeof COST_STATUSES)[number];
