// Orderbook demo: a placeholder until its issue lands.
export {};
