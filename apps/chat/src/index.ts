// Chat demo: a placeholder until its issue lands.
export {};
