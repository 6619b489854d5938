-- SQLite migration 42: the order a card attempt paid, found by its
-- attempt key: a card paid with the order is charged before the order
-- exists, and a resent attempt is answered with the order it made.
CREATE INDEX orders_card_key ON orders(payment_key) WHERE payment_method = 'card';
