"""REST API of the recommender: lists, training runs, model versions (/api/v1/)."""
