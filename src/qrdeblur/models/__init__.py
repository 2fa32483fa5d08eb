"""Networks: generators (``qrunet``, ``paper-g``), discriminators (``paper-d``, ``patch-d``), VGG16."""
