-- The three subgraphs' data: each subgraph reads only its own table.
CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE products (upc text PRIMARY KEY, name text NOT NULL, price int NOT NULL, seller_id int NOT NULL);
CREATE TABLE reviews (id int PRIMARY KEY, upc text NOT NULL, stars int NOT NULL, body text NOT NULL);
CREATE INDEX reviews_by_product ON reviews (upc);

INSERT INTO users SELECT i, 'seller ' || i FROM generate_series(1, 200) AS i;
INSERT INTO products
    SELECT 'p-' || lpad(i::text, 4, '0'), 'product ' || i, 100 + (i * 37) % 9900, 1 + (i * 7) % 200
    FROM generate_series(1, 1000) AS i;
INSERT INTO reviews
    SELECT i, 'p-' || lpad((1 + (i - 1) / 3)::text, 4, '0'), 1 + i % 5, 'review ' || i
    FROM generate_series(1, 3000) AS i;
