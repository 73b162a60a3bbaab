/** The server's name and version, as OIP server metadata, OpenAPI and OpenAI's `owned_by` give them. */
export const SERVER_NAME = "edge-maas";
export const SERVER_VERSION = "0.1.0";
