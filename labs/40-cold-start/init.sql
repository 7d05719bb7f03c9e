-- Week 40 — cold start: the catalog every replica caches. 1,000 products with 100 reviews each,
-- written by 1,999 authors (about 50 reviews each). A product's page shows its rating weighted by
-- how helpful each reviewer's reviews are across the whole catalog: building one page reads the
-- product's 100 reviews and, for each author, all of theirs (about 5,000 rows scattered over the
-- table, milliseconds of PostgreSQL's time). Building all 1,000 pages at once is two
-- scans and a join (a few hundred milliseconds). Stock is live data, read on every request.
CREATE TABLE products (
    id    integer PRIMARY KEY,
    name  text          NOT NULL,
    price numeric(10,2) NOT NULL
);

CREATE TABLE reviews (
    id         integer  PRIMARY KEY,
    product_id integer  NOT NULL,
    author     integer  NOT NULL,
    stars      smallint NOT NULL,
    helpful    integer  NOT NULL,
    body       text     NOT NULL
);

CREATE TABLE stock (
    product_id integer PRIMARY KEY,
    quantity   integer NOT NULL
);

INSERT INTO products (id, name, price)
SELECT g, 'product ' || g, round((1 + random() * 99)::numeric, 2)
FROM generate_series(1, 1000) AS g;

-- Rows 1,000 apart belong to one product; its 100 reviews have 100 different authors.
INSERT INTO reviews (id, product_id, author, stars, helpful, body)
SELECT g, 1 + (g::bigint * 7919) % 1000, 1 + (g::bigint * 31) % 1999, 1 + (g / 1000 + g % 7) % 5, (g::bigint * 104729) % 1000, 'review ' || g || ': ' || repeat('fine. ', 6)
FROM generate_series(1, 100000) AS g;

CREATE INDEX reviews_by_product ON reviews (product_id);
CREATE INDEX reviews_by_author ON reviews (author);

INSERT INTO stock (product_id, quantity)
SELECT g, (g * 37) % 500 FROM generate_series(1, 1000) AS g;

ANALYZE products;
ANALYZE reviews;
ANALYZE stock;
