-- pgbench baseline of the hot-SKU row of scripts/bench.sh: the least an order
-- of one hot SKU must do in Postgres, the single-row conditional stock
-- decrement, on a scratch table (server/benches/flash_sale.rs creates it).
\set id 1
UPDATE bench_skus SET stock = stock - 1 WHERE id = :id AND stock >= 1;
