#!/bin/sh
# Starts a single-node KRaft Kafka (broker and controller in one process) from the jars in
# /opt/kafka/libs; formats /var/lib/kafka on the first start.
#   KAFKA_PORT         client listener port (default 9092); KAFKA_CONTROLLER_PORT (default 9093)
#   KAFKA_ADVERTISED   host:port clients are told to use (default localhost:KAFKA_PORT)
#   KAFKA_HEAP         JVM heap (default 512m)
#   KAFKA_EXTERNAL_PORT, KAFKA_EXTERNAL_ADVERTISED   optional second client listener, for clients
#                      outside the container network (the compose stack: the host's 127.0.0.1)
set -eu
port="${KAFKA_PORT:-9092}"
ctrl="${KAFKA_CONTROLLER_PORT:-9093}"
data=/var/lib/kafka/data
conf=/var/lib/kafka/server.properties
listeners="PLAINTEXT://:${port}"
advertised="PLAINTEXT://${KAFKA_ADVERTISED:-localhost:${port}}"
protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
if [ -n "${KAFKA_EXTERNAL_PORT:-}" ]; then
  listeners="${listeners},EXTERNAL://:${KAFKA_EXTERNAL_PORT}"
  advertised="${advertised},EXTERNAL://${KAFKA_EXTERNAL_ADVERTISED:-localhost:${KAFKA_EXTERNAL_PORT}}"
  protocols="${protocols},EXTERNAL:PLAINTEXT"
fi
cat >"${conf}" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:${ctrl}
listeners=${listeners},CONTROLLER://localhost:${ctrl}
advertised.listeners=${advertised}
controller.listener.names=CONTROLLER
listener.security.protocol.map=${protocols}
inter.broker.listener.name=PLAINTEXT
log.dirs=${data}
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
# Console logging for Kafka 3.x (log4j 1 API) and 4.x (log4j2): each reads its own file.
printf '%s\n' 'log4j.rootLogger=INFO, stdout' \
  'log4j.appender.stdout=org.apache.log4j.ConsoleAppender' \
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout' \
  'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n' >/var/lib/kafka/log4j.properties
printf '%s\n' 'rootLogger.level=INFO' 'rootLogger.appenderRef.stdout.ref=STDOUT' \
  'appender.stdout.type=Console' 'appender.stdout.name=STDOUT' \
  'appender.stdout.layout.type=PatternLayout' \
  'appender.stdout.layout.pattern=[%d] %p %m (%c)%n' >/var/lib/kafka/log4j2.properties
java_opts="-Xms${KAFKA_HEAP:-512m} -Xmx${KAFKA_HEAP:-512m} -Djava.awt.headless=true
  -Dlog4j.configuration=file:/var/lib/kafka/log4j.properties
  -Dlog4j2.configurationFile=/var/lib/kafka/log4j2.properties"
if [ ! -f "${data}/meta.properties" ]; then
  # shellcheck disable=SC2086
  id="$(java ${java_opts} -cp '/opt/kafka/libs/*' kafka.tools.StorageTool random-uuid)"
  # shellcheck disable=SC2086
  java ${java_opts} -cp '/opt/kafka/libs/*' kafka.tools.StorageTool format -t "${id}" -c "${conf}"
fi
# shellcheck disable=SC2086
exec java ${java_opts} -cp '/opt/kafka/libs/*' kafka.Kafka "${conf}"
