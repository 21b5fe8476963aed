/**
 * Generates the demo sales data deterministically (seeded PRNG): the same seed and the same clock give the same
 * rows everywhere, so tests assert exact numbers by passing the clock in. Orders run from 2024-01-01 to the moment
 * the data is made ("now"), with Q4 seasonality and growth, so questions a model writes against the real clock
 * ("in the last hour", "this month", "Q4 2024") all have answers. Payment transactions include failed attempts,
 * and a payment-processor incident fills the last 40 minutes before "now" (so "failed transactions in the last
 * hour" finds it for a while after the demo is created, and finds all of it in the first 20 minutes).
 */
import { SeededRandom } from '../util/seeded-random.js';

export const DEMO_SEED = 20_240_101;

export interface DemoTable {
  readonly name: string;
  readonly columns: readonly string[];
  readonly rows: unknown[][];
}

const REGIONS = ['West', 'Midwest', 'South', 'Northeast'] as const;

/** state → [region id, relative weight, cities] */
const STATES: Record<string, [number, number, string[]]> = {
  CA: [1, 12, ['Los Angeles', 'San Francisco', 'San Diego', 'Sacramento', 'San Jose']],
  WA: [1, 3, ['Seattle', 'Spokane', 'Tacoma']],
  OR: [1, 2, ['Portland', 'Eugene']],
  AZ: [1, 3, ['Phoenix', 'Tucson']],
  CO: [1, 2, ['Denver', 'Boulder']],
  NV: [1, 1, ['Las Vegas', 'Reno']],
  UT: [1, 1, ['Salt Lake City', 'Provo']],
  IL: [2, 4, ['Chicago', 'Springfield']],
  OH: [2, 3, ['Columbus', 'Cleveland', 'Cincinnati']],
  MI: [2, 3, ['Detroit', 'Grand Rapids']],
  MN: [2, 2, ['Minneapolis', 'Saint Paul']],
  WI: [2, 2, ['Milwaukee', 'Madison']],
  MO: [2, 2, ['Saint Louis', 'Kansas City']],
  TX: [3, 9, ['Houston', 'Austin', 'Dallas', 'San Antonio']],
  FL: [3, 7, ['Miami', 'Orlando', 'Tampa', 'Jacksonville']],
  GA: [3, 3, ['Atlanta', 'Savannah']],
  NC: [3, 3, ['Charlotte', 'Raleigh']],
  TN: [3, 2, ['Nashville', 'Memphis']],
  VA: [3, 2, ['Richmond', 'Arlington']],
  NY: [4, 6, ['New York', 'Buffalo', 'Rochester']],
  PA: [4, 4, ['Philadelphia', 'Pittsburgh']],
  MA: [4, 2, ['Boston', 'Cambridge']],
  NJ: [4, 3, ['Newark', 'Jersey City']],
  CT: [4, 1, ['Hartford', 'New Haven']],
};

const FIRST_NAMES = [
  'James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William',
  'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Carlos', 'Karen', 'Daniel', 'Lisa',
  'Matthew', 'Nancy', 'Anthony', 'Sofia', 'Mark', 'Ashley', 'Wei', 'Priya', 'Andrew', 'Emily', 'Luis', 'Aisha',
  'Kevin', 'Mei', 'Brian', 'Olivia', 'Diego', 'Fatima',
];
const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez',
  'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Perez',
  'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Nguyen', 'Patel', 'Kim', 'Chen', 'Walker', 'Young', 'Allen',
  'King', 'Wright', 'Scott', 'Torres', 'Hill', 'Green',
];

/** category → [price range in dollars, product nouns] */
const CATEGORIES: Record<string, [number, number, string[]]> = {
  Electronics: [29, 899, ['Headphones', 'Speaker', 'Monitor', 'Keyboard', 'Webcam', 'Charger', 'Tablet', 'Smartwatch']],
  'Home & Kitchen': [12, 349, ['Blender', 'Coffee Maker', 'Knife Set', 'Cookware Set', 'Air Fryer', 'Toaster']],
  Outdoors: [15, 499, ['Tent', 'Backpack', 'Sleeping Bag', 'Camping Stove', 'Hiking Poles', 'Cooler']],
  Apparel: [10, 189, ['Jacket', 'Hoodie', 'Running Shoes', 'Jeans', 'Rain Coat', 'Wool Socks']],
  Books: [8, 59, ['Cookbook', 'Novel', 'Atlas', 'Field Guide', 'Biography', 'Workbook']],
  Beauty: [6, 120, ['Serum', 'Moisturizer', 'Shampoo', 'Sunscreen', 'Perfume', 'Face Mask']],
  Toys: [7, 149, ['Puzzle', 'Building Set', 'Board Game', 'Plush Bear', 'Drone', 'Train Set']],
  Office: [4, 399, ['Desk Lamp', 'Notebook', 'Office Chair', 'Pen Set', 'Standing Desk', 'Organizer']],
};
const PRODUCT_ADJECTIVES = ['Classic', 'Pro', 'Compact', 'Deluxe', 'Eco', 'Ultra', 'Everyday', 'Premium'];

const CHANNELS = ['organic', 'paid_search', 'social', 'referral', 'email'];
const SPEND_CHANNELS = ['paid_search', 'social', 'email', 'display'];
const METHODS = ['card', 'paypal', 'apple_pay', 'gift_card'];
const FAILURE_REASONS = ['card_declined', 'insufficient_funds', 'expired_card', 'processing_error', 'fraud_suspected'];

/** Customers per year of data (the first two years have 2,500). */
const CUSTOMERS_PER_YEAR = 1_250;
/** The first day of the data: the seed's "Q4 2024" question needs all of 2024. */
export const DEMO_START_MS = Date.UTC(2024, 0, 1);
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** The incident: 14 orders, each with one to three failed payments and no success, in the last 40 minutes. */
const INCIDENT_MS = 40 * 60_000;
/** At least a year and a quarter of data, even on a machine whose clock is wrong. */
const MIN_SPAN_MS = 456 * DAY_MS;
/** Orders grow by this fraction per year. */
const GROWTH_PER_YEAR = 0.15;

/** What the generated data depends on: the seed and the clock, so tests get the same rows every time. */
export interface DemoDataOptions {
  readonly seed?: number;
  /** The end of the data window, in epoch ms: when the demo database is created. Tests pass a fixed clock. */
  readonly nowMs: number;
}

/** The data's window: from 2024-01-01 to `nowMs` (never less than MIN_SPAN_MS), whole seconds. */
export function demoWindow(nowMs: number): { startMs: number; endMs: number } {
  return { startMs: DEMO_START_MS, endMs: Math.floor(Math.max(nowMs, DEMO_START_MS + MIN_SPAN_MS) / 1_000) * 1_000 };
}

export function generateDemoData({ seed = DEMO_SEED, nowMs }: DemoDataOptions): DemoTable[] {
  const random = new SeededRandom(seed);
  const { startMs, endMs } = demoWindow(nowMs);
  const days = Math.ceil((endMs - startMs) / DAY_MS);
  const incidentStartMs = endMs - INCIDENT_MS;
  const stateCodes = Object.keys(STATES);
  const stateWeights = stateCodes.map((s) => STATES[s]![1]);

  const products = buildProducts(random);
  const productWeights = products.map(() => 0.3 + random.next() ** 2 * 3);
  const productIndexes = products.map((_, i) => i);

  // Customers: a few buy often, most rarely (a long tail, as in real shops).
  const customerCount = Math.round((CUSTOMERS_PER_YEAR * (endMs - startMs)) / (365 * DAY_MS));
  const customers = Array.from({ length: customerCount }, (_, i) => {
    const state = random.weighted(stateCodes, stateWeights);
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    const signupMs = Math.min(startMs - 73 * DAY_MS + Math.floor(random.next() * (days + 73) * DAY_MS), endMs - DAY_MS);
    return {
      id: i + 1,
      first,
      last,
      email: `${first}.${last}.${i + 1}@example.com`.toLowerCase(),
      city: random.pick(STATES[state]![2]),
      state,
      regionId: STATES[state]![0],
      channel: random.weighted(CHANNELS, [30, 28, 20, 12, 10]),
      signupMs,
      weight: 0.15 + random.next() ** 4 * 12,
    };
  });

  const orders: unknown[][] = [];
  const items: unknown[][] = [];
  const payments: unknown[][] = [];
  const addOrder = (orderedMs: number, customer: (typeof customers)[number], incident: boolean) => {
    const orderId = orders.length + 1;
    let total = 0;
    const lineCount = random.weighted([1, 2, 3, 4], [45, 30, 17, 8]);
    for (let line = 0; line < lineCount; line++) {
      const productIndex = random.weighted(productIndexes, productWeights);
      const product = products[productIndex]!;
      const quantity = random.weighted([1, 2, 3], [75, 18, 7]);
      const discount = random.weighted([0, 0.05, 0.1, 0.15], [70, 12, 12, 6]);
      total += quantity * (product[4] as number) * (1 - discount);
      items.push([items.length + 1, orderId, product[0], quantity, product[4], discount]);
    }
    const amount = cents(total);
    const isRecent = orderedMs > endMs - 7 * DAY_MS;
    const status = incident
      ? 'pending'
      : random.weighted(['completed', 'shipped', 'pending', 'cancelled', 'refunded'], isRecent ? [40, 40, 12, 5, 3] : [86, 2, 1, 7, 4]);
    orders.push([orderId, customer.id, timestamp(orderedMs), status, amount]);
    if (orderedMs < customer.signupMs) customer.signupMs = orderedMs - random.int(0, 30) * DAY_MS;

    const method = random.weighted(METHODS, [70, 15, 10, 5]);
    let paidMs = orderedMs + random.int(5, 90) * 1_000;
    // The last hour's failed payments are the incident's alone (the seed's "failed transactions in the last hour"):
    // an ordinary order of the 20 minutes before it pays at once (10 minutes' margin for its retries).
    const isQuiet = !incident && orderedMs > endMs - HOUR_MS - 10 * 60_000;
    const failedAttempts = incident ? random.int(1, 3) : random.chance(status === 'cancelled' ? 0.45 : 0.07) && !isQuiet ? 1 : 0;
    for (let attempt = 0; attempt < failedAttempts; attempt++) {
      const reason = incident ? 'processing_error' : random.weighted(FAILURE_REASONS, [40, 25, 15, 12, 8]);
      payments.push([payments.length + 1, orderId, amount, 'USD', method, 'failed', reason, timestamp(paidMs)]);
      paidMs += random.int(20, incident ? 120 : 240) * 1_000;
    }
    if (incident || status === 'cancelled') return;
    payments.push([payments.length + 1, orderId, amount, 'USD', method, status === 'pending' ? 'pending' : 'succeeded', null, timestamp(paidMs)]);
    if (status === 'refunded') {
      // Refunds stay inside the data window, so the newest timestamps are the incident's.
      const refundMs = Math.min(paidMs + random.int(2, 20) * DAY_MS, incidentStartMs - HOUR_MS - random.int(0, 3_600) * 1_000);
      payments.push([payments.length + 1, orderId, amount, 'USD', method, 'refunded', null, timestamp(refundMs)]);
    }
  };

  const cumulative = cumulativeWeights(customers.map((c) => c.weight));
  for (let day = 0; day < days; day++) {
    const dayMs = startMs + day * DAY_MS;
    // Ordinary orders stop where the incident begins; the last day is usually a part of one.
    const spanMs = Math.min(DAY_MS, incidentStartMs - dayMs);
    if (spanMs <= 0) break;
    const month = new Date(dayMs).getUTCMonth();
    const seasonal = month === 10 || month === 11 ? 1.7 : month === 0 ? 0.8 : 1;
    const growth = 1 + ((dayMs - startMs) / (365 * DAY_MS)) * GROWTH_PER_YEAR;
    const count = Math.round(22 * (spanMs / DAY_MS) * seasonal * growth * (0.75 + random.next() * 0.5));
    const times = Array.from({ length: count }, () => dayMs + Math.floor(random.next() * spanMs)).sort((a, b) => a - b);
    for (const orderedMs of times) addOrder(orderedMs, customers[pickIndex(cumulative, random.next())]!, false);
  }
  for (let i = 0; i < 14; i++) {
    // 14 × 100 s + 60 s + 90 s to pay + 3 × 120 s of retries stays inside the 40 minutes.
    addOrder(incidentStartMs + i * 100_000 + random.int(0, 60) * 1_000, customers[pickIndex(cumulative, random.next())]!, true);
  }

  const spend: unknown[][] = [];
  const regionScale = [1.3, 0.8, 1.1, 1.0];
  const end = new Date(endMs);
  const months = (end.getUTCFullYear() - 2024) * 12 + end.getUTCMonth() + 1;
  for (let m = 0; m < months; m++) {
    const month = `${2024 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}-01`;
    const seasonal = m % 12 >= 10 ? 1.5 : 1;
    // The current month is spent so far only as far as the data goes, like its orders.
    const monthStartMs = Date.UTC(2024, m, 1);
    const elapsed = Math.min(1, (endMs - monthStartMs) / (Date.UTC(2024, m + 1, 1) - monthStartMs));
    REGIONS.forEach((_, r) => {
      for (const channel of SPEND_CHANNELS) {
        const base = { paid_search: 9_000, social: 6_000, email: 1_200, display: 3_500 }[channel]!;
        spend.push([spend.length + 1, r + 1, month, channel, cents(base * regionScale[r]! * seasonal * elapsed * (0.8 + random.next() * 0.4))]);
      }
    });
  }

  return [
    { name: 'regions', columns: ['region_id', 'name'], rows: REGIONS.map((name, i) => [i + 1, name]) },
    {
      name: 'customers',
      columns: ['customer_id', 'first_name', 'last_name', 'email', 'city', 'state', 'region_id', 'acquisition_channel', 'signup_date'],
      rows: customers.map((c) => [c.id, c.first, c.last, c.email, c.city, c.state, c.regionId, c.channel, timestamp(c.signupMs).slice(0, 10)]),
    },
    { name: 'products', columns: ['product_id', 'sku', 'name', 'category', 'unit_price', 'unit_cost', 'is_active'], rows: products },
    { name: 'orders', columns: ['order_id', 'customer_id', 'ordered_at', 'status', 'total_amount'], rows: orders },
    { name: 'order_items', columns: ['order_item_id', 'order_id', 'product_id', 'quantity', 'unit_price', 'discount'], rows: items },
    {
      name: 'payment_transactions',
      columns: ['transaction_id', 'order_id', 'amount', 'currency', 'method', 'status', 'failure_reason', 'created_at'],
      rows: payments,
    },
    { name: 'marketing_spend', columns: ['spend_id', 'region_id', 'month', 'channel', 'amount'], rows: spend },
  ];
}

function buildProducts(random: SeededRandom): unknown[][] {
  const products: unknown[][] = [];
  for (const [category, [low, high, nouns]] of Object.entries(CATEGORIES)) {
    for (let i = 0; i < 15; i++) {
      const id = products.length + 1;
      const name = `${PRODUCT_ADJECTIVES[i % PRODUCT_ADJECTIVES.length]} ${nouns[i % nouns.length]}${i >= nouns.length ? ' II' : ''}`;
      const price = cents(low + (high - low) * random.next() ** 2) - 0.01 + 0.01 * (id % 2);
      const sku = `${category.slice(0, 3).toUpperCase()}-${String(id).padStart(4, '0')}`;
      products.push([id, sku, name, category, cents(price), cents(price * (0.45 + random.next() * 0.25)), id % 29 === 0 ? 0 : 1]);
    }
  }
  return products;
}

function cumulativeWeights(weights: number[]): number[] {
  let sum = 0;
  const out = weights.map((w) => (sum += w));
  return out.map((w) => w / sum);
}

/** Index of the first cumulative weight above `roll` (binary search). */
function pickIndex(cumulative: number[], roll: number): number {
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (cumulative[mid]! > roll) high = mid;
    else low = mid + 1;
  }
  return low;
}

function cents(value: number): number {
  return Math.round(value * 100) / 100;
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, the form SQLite's date functions read. */
function timestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
