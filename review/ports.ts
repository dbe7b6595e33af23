/** MQTT over TLS: the only port the broker side may accept. */
export const MQTT_TLS_PORT = 8883;

/** DNS, the only other port a device may reach, and only inside the VPC. */
export const DNS_PORT = 53;
