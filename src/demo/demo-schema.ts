/** The demo sales database's tables (SQLite DDL). Amounts are DECIMAL(12,2) with values rounded to cents. */
export const DEMO_SCHEMA: readonly string[] = [
  `CREATE TABLE regions (
     region_id   INTEGER PRIMARY KEY,
     name        VARCHAR(40) NOT NULL UNIQUE
   )`,
  `CREATE TABLE customers (
     customer_id          INTEGER PRIMARY KEY,
     first_name           VARCHAR(60) NOT NULL,
     last_name            VARCHAR(60) NOT NULL,
     email                VARCHAR(255) NOT NULL UNIQUE,
     city                 VARCHAR(80) NOT NULL,
     state                CHAR(2) NOT NULL,
     region_id            INTEGER NOT NULL REFERENCES regions(region_id),
     acquisition_channel  VARCHAR(20) NOT NULL,
     signup_date          DATE NOT NULL
   )`,
  'CREATE INDEX idx_customers_state ON customers(state)',
  'CREATE INDEX idx_customers_region ON customers(region_id)',
  `CREATE TABLE products (
     product_id   INTEGER PRIMARY KEY,
     sku          VARCHAR(20) NOT NULL UNIQUE,
     name         VARCHAR(120) NOT NULL,
     category     VARCHAR(40) NOT NULL,
     unit_price   DECIMAL(12,2) NOT NULL,
     unit_cost    DECIMAL(12,2) NOT NULL,
     is_active    BOOLEAN NOT NULL DEFAULT 1
   )`,
  'CREATE INDEX idx_products_category ON products(category)',
  `CREATE TABLE orders (
     order_id      INTEGER PRIMARY KEY,
     customer_id   INTEGER NOT NULL REFERENCES customers(customer_id),
     ordered_at    TIMESTAMP NOT NULL,
     status        VARCHAR(20) NOT NULL CHECK (status IN ('completed', 'shipped', 'pending', 'cancelled', 'refunded')),
     total_amount  DECIMAL(12,2) NOT NULL
   )`,
  'CREATE INDEX idx_orders_customer ON orders(customer_id)',
  'CREATE INDEX idx_orders_ordered_at ON orders(ordered_at)',
  `CREATE TABLE order_items (
     order_item_id  INTEGER PRIMARY KEY,
     order_id       INTEGER NOT NULL REFERENCES orders(order_id),
     product_id     INTEGER NOT NULL REFERENCES products(product_id),
     quantity       INTEGER NOT NULL CHECK (quantity > 0),
     unit_price     DECIMAL(12,2) NOT NULL,
     discount       DECIMAL(4,2) NOT NULL DEFAULT 0
   )`,
  'CREATE INDEX idx_order_items_order ON order_items(order_id)',
  'CREATE INDEX idx_order_items_product ON order_items(product_id)',
  `CREATE TABLE payment_transactions (
     transaction_id  INTEGER PRIMARY KEY,
     order_id        INTEGER NOT NULL REFERENCES orders(order_id),
     amount          DECIMAL(12,2) NOT NULL,
     currency        CHAR(3) NOT NULL DEFAULT 'USD',
     method          VARCHAR(20) NOT NULL,
     status          VARCHAR(20) NOT NULL CHECK (status IN ('succeeded', 'failed', 'pending', 'refunded')),
     failure_reason  VARCHAR(60),
     created_at      TIMESTAMP NOT NULL
   )`,
  'CREATE INDEX idx_payment_transactions_order ON payment_transactions(order_id)',
  'CREATE INDEX idx_payment_transactions_created ON payment_transactions(created_at)',
  'CREATE INDEX idx_payment_transactions_status ON payment_transactions(status)',
  `CREATE TABLE marketing_spend (
     spend_id     INTEGER PRIMARY KEY,
     region_id    INTEGER NOT NULL REFERENCES regions(region_id),
     month        DATE NOT NULL,
     channel      VARCHAR(20) NOT NULL,
     amount       DECIMAL(12,2) NOT NULL,
     UNIQUE (region_id, month, channel)
   )`,
  `CREATE VIEW customer_revenue AS
     SELECT c.customer_id, c.first_name, c.last_name, c.state, r.name AS region,
            COUNT(o.order_id) AS orders, ROUND(COALESCE(SUM(o.total_amount), 0), 2) AS revenue
       FROM customers c
       JOIN regions r ON r.region_id = c.region_id
       LEFT JOIN orders o ON o.customer_id = c.customer_id AND o.status IN ('completed', 'shipped')
      GROUP BY c.customer_id`,
];
