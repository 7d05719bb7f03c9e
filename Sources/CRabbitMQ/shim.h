#ifndef CRABBITMQ_SHIM_H
#define CRABBITMQ_SHIM_H
// rabbitmq-c (Debian's librabbitmq-dev), the AMQP 0-9-1 client LabKit's RabbitMQ client wraps.
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>

// amqp_login takes the SASL credentials as C variadic arguments, which Swift cannot pass:
// this fixed-argument wrapper logs in with PLAIN.
static inline amqp_rpc_reply_t clab_amqp_login_plain(
    amqp_connection_state_t state, const char *vhost, int channel_max, int frame_max, int heartbeat,
    const char *user, const char *password) {
    return amqp_login(state, vhost, channel_max, frame_max, heartbeat, AMQP_SASL_METHOD_PLAIN, user, password);
}

// Method ids and property flags are macros with casts, which Swift does not import.
static const amqp_method_number_t CLAB_AMQP_BASIC_ACK = AMQP_BASIC_ACK_METHOD;
static const amqp_method_number_t CLAB_AMQP_BASIC_NACK = AMQP_BASIC_NACK_METHOD;
static const amqp_method_number_t CLAB_AMQP_BASIC_RETURN = AMQP_BASIC_RETURN_METHOD;
static const amqp_method_number_t CLAB_AMQP_BASIC_CANCEL = AMQP_BASIC_CANCEL_METHOD;
static const amqp_method_number_t CLAB_AMQP_CHANNEL_CLOSE = AMQP_CHANNEL_CLOSE_METHOD;
static const amqp_method_number_t CLAB_AMQP_CONNECTION_CLOSE = AMQP_CONNECTION_CLOSE_METHOD;
static const amqp_flags_t CLAB_AMQP_PROPERTY_FLAGS =
    AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_HEADERS_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
    AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_TIMESTAMP_FLAG;
static const amqp_flags_t CLAB_AMQP_HEADERS_FLAG = AMQP_BASIC_HEADERS_FLAG;
static const amqp_flags_t CLAB_AMQP_MESSAGE_ID_FLAG = AMQP_BASIC_MESSAGE_ID_FLAG;
static const uint8_t CLAB_AMQP_FRAME_METHOD = AMQP_FRAME_METHOD;
#endif
