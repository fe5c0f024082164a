from assistant.engine import run_examples

KITCHEN = """
rules:
  - id: smoke
    when: {fact: alarm.smoke}
    then:
      assert: [{fact: hazard.fire, cf: 0.8}]
    examples:
      - facts: {alarm.smoke: true}
        expect_fact: hazard.fire
  - id: evacuate
    when:
      all:
        - {fact: hazard.fire}
        - {fact: people.inside, gt: 0}
    then: {conclude: evacuate, cf: 0.9}
    examples:
      - facts: {alarm.smoke: true, people.inside: 3}       # runs through `smoke` first
        expect: evacuate
      - facts: {alarm.smoke: true, people.inside: 0}
        expect_not: [evacuate]
      - facts: {alarm.smoke: {value: true, cf: 0.2}, people.inside: 3}
        expect_not: evacuate                                 # too weak to chain
  - id: toast
    when:
      all:
        - {fact: toaster.reading, where: {temp: {gt: 200}}}
        - {fact: toaster.reading, as: other, where: {temp: {lt: 100}}}
    then: {conclude: toaster_broken}
    examples:
      - facts: {toaster.reading: [{temp: 250, at: 1}, {temp: 20, at: 2}]}
        expect: toaster_broken
      - facts: {toaster.reading: {temp: 250, at: 1}}
        expect: toaster_broken                               # fails: one reading only
"""


def test_examples_pass_and_fail(rulebase):
    results = run_examples(rulebase(KITCHEN))
    assert [(r.rule_id, r.index, r.ok) for r in results] == [
        ("smoke", 0, True), ("evacuate", 0, True), ("evacuate", 1, True), ("evacuate", 2, True),
        ("toast", 0, True), ("toast", 1, False),
    ]
    failed = results[-1]
    assert failed.message == "expected conclusion toaster_broken, not reached"
    assert failed.location.endswith("rules1.yaml:31:9")


def test_failure_messages(rulebase):
    rb = rulebase("""
        rules:
          - id: weak
            when: {fact: hint}
            then: {conclude: thing, cf: 0.1}
            examples:
              - facts: {hint: 1}
                expect: thing
                expect_fact: other.fact
          - id: strong
            when: {fact: hint}
            then: {conclude: other, cf: 0.9}
            examples:
              - facts: {hint: 1}
                expect_not: other
        """)
    messages = [r.message for r in run_examples(rb)]
    assert messages == [
        "expected conclusion thing, cf 0.10; expected fact other.fact, not derived",
        "conclusion other not expected, reached with cf 0.90",
    ]
