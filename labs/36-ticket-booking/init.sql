-- Week 36: one event with 200 seats.
-- `holds` and `bookings` are what the naive variant uses; the locked variant also keeps the seat's
-- current hold on the seat row (hold_id, held_until, paid), so that the row is what gets locked.
CREATE TABLE events (
    id    int  PRIMARY KEY,
    name  text NOT NULL
);

CREATE TABLE seats (
    event_id   int         NOT NULL REFERENCES events (id),
    seat_no    int         NOT NULL,
    hold_id    bigint,
    held_until timestamptz NOT NULL DEFAULT '-infinity',   -- free when in the past (never held, or the hold expired)
    paid       boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (event_id, seat_no)
);

CREATE TABLE holds (
    id         bigserial   PRIMARY KEY,
    event_id   int         NOT NULL,
    seat_no    int         NOT NULL,
    customer   text        NOT NULL,
    expires_at timestamptz NOT NULL,
    FOREIGN KEY (event_id, seat_no) REFERENCES seats (event_id, seat_no)
);

CREATE TABLE bookings (
    id       bigserial   PRIMARY KEY,
    hold_id  bigint      NOT NULL REFERENCES holds (id),
    event_id int         NOT NULL,
    seat_no  int         NOT NULL,
    customer text        NOT NULL,
    paid_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- No UNIQUE (event_id, seat_no) on bookings here: the fixed variants add it at startup
-- (BookingStore.migrate), the naive one runs without it, as the legacy schema did.

INSERT INTO events VALUES (1, 'Distributed Lab live');
INSERT INTO seats (event_id, seat_no) SELECT 1, g FROM generate_series(1, 200) AS g;
