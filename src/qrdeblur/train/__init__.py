"""GAN training: config, data, the loop, validation and the paper's figures (needs torch)."""
