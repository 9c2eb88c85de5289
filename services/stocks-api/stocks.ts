/** The API's fictional data: each stock belongs to one region, and users see only their region's. */

export interface Stock {
  id: string;
  name: string;
  region: string;
  price: number;
}

export const STOCKS: readonly Stock[] = Object.freeze([
  { id: 'COM1', name: 'Company 1', region: 'USA', price: 450.22 },
  { id: 'COM2', name: 'Company 2', region: 'Europe', price: 250.62 },
  { id: 'COM3', name: 'Company 3', region: 'Europe', price: 21.07 },
  { id: 'COM4', name: 'Company 4', region: 'USA', price: 180.75 },
]);

export function stocksInRegion(region: string): Stock[] {
  return STOCKS.filter((s) => s.region === region);
}

/** The stock, or undefined when it does not exist or belongs to another region (indistinguishable). */
export function findStock(id: string, region: string): Stock | undefined {
  return STOCKS.find((s) => s.id === id && s.region === region);
}
