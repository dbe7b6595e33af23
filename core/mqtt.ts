/**
 * TCP 8883, MQTT over TLS: the only port the broker side accepts. One number shared by the
 * firewall (constructs/security/port.ts) and the flow-log review (flows/), which reads it
 * without depending on the constructs.
 */
export const MQTT_TLS_PORT = 8883;
