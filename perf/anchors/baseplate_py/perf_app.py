"""The baseplate.py anchor of perf/run: BaseplateServiceV2.is_healthy -> True.

The service is written the way a baseplate.py 2.7.0 service is: a Baseplate built from the
app config with its observers configured, the generated processor that ships inside
baseplate.py (baseplate.thrift.BaseplateServiceV2), wrapped with baseplateify_processor so
every request gets a server span, trace headers, deadline budget and the Prometheus
thrift_server_* metrics. Served by `baseplate-serve` (gevent) from perf_app.ini.
"""
import logging

from baseplate import Baseplate
from baseplate.frameworks.thrift import baseplateify_processor
from baseplate.thrift import BaseplateServiceV2


logger = logging.getLogger(__name__)


class Handler:
    def is_healthy(self, context, request):  # pylint: disable=unused-argument
        return True


def make_processor(app_config):
    baseplate = Baseplate(app_config)
    baseplate.configure_observers()
    processor = BaseplateServiceV2.Processor(Handler())
    return baseplateify_processor(processor, logger, baseplate)
