"""The backend's API: its request and response models (the contract) and the client."""
