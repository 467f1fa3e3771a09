export const probe: number = 42;
