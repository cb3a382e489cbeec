//! wrapd-attach: the wrapd client.
