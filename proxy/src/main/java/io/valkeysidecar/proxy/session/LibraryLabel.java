package io.valkeysidecar.proxy.session;

/** A CLIENT SETINFO request a client ran on the shared upstream: its attribute (upper case) and its bytes. */
record LibraryLabel(String attribute, byte[] request) {
}
