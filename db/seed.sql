-- Sample products. Re-runnable: an existing product keeps its stock, only its name is refreshed.
INSERT INTO inventory (product_id, product_name, quantity_available) VALUES
    ('SKU-1001', 'Mechanical keyboard', 100),
    ('SKU-1002', 'Wireless mouse', 250),
    ('SKU-1003', '27-inch monitor', 40),
    ('SKU-1004', 'USB-C dock', 75),
    ('SKU-1005', 'Noise-cancelling headphones', 60),
    ('SKU-1006', 'Laptop stand', 150),
    ('SKU-1007', 'Webcam 1080p', 90),
    ('SKU-1008', 'Desk lamp', 5)
ON DUPLICATE KEY UPDATE product_name = VALUES(product_name);
